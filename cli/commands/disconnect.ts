// `haup disconnect`: stop the SSH keeper and its connections (like `ssh -O exit`); and the hidden `haup __keeper`
// that the CLI starts in the background to hold connections between runs.
import type { CommandModule } from 'yargs';

export const disconnectCommand: CommandModule<object, object> = {
  command: 'disconnect',
  describe: 'Close the SSH connections haup keeps open between runs, and stop their background keeper',
  builder: (y) =>
    y
      .example('$0 disconnect', 'close every kept SSH connection now (exit 0 also when none is open)')
      .example('HAUP_SSH_PERSIST=0 $0 deploy prod.yml', 'connect directly for one run, keeping nothing open'),
  handler: async () => {
    const { disconnectKeepers } = await import('../transport/keeper-client.js');
    const stopped = await disconnectKeepers();
    const live = stopped.filter((s) => s.pid !== null);
    if (live.length === 0) {
      process.stdout.write('no SSH keeper was running\n');
      return;
    }
    for (const s of live) process.stdout.write(`stopped the SSH keeper (pid ${s.pid}) and closed ${s.connections} connection(s)\n`);
  },
};

interface KeeperArgv {
  socket: string;
  idle: number;
}

export const keeperCommand: CommandModule<object, KeeperArgv> = {
  command: '__keeper',
  describe: false, // internal: started by the CLI itself
  builder: (y) =>
    y
      .option('socket', { type: 'string', demandOption: true, describe: 'unix socket to listen on' })
      .option('idle', { type: 'number', default: 60, describe: 'exit after this many seconds without a client' }),
  handler: async (argv) => {
    const { runKeeper } = await import('../transport/keeper-server.js');
    await runKeeper({ socketPath: argv.socket, idleSeconds: argv.idle });
  },
};
