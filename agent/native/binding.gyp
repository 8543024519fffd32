{
  "targets": [
    {
      "target_name": "haup_raw",
      "sources": ["src/haup_raw.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
