{
  "targets": [
    {
      "target_name": "haup_raw",
      "sources": ["src/haup_raw.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
