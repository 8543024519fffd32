// haup-agent entry point: wiring only.
process.stdout.write('haup-agent: not implemented yet\n');
