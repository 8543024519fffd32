// `haup lab up|down|status`: a local lab of real SSH hosts in network namespaces.
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_LAB_NAME, MAX_HOSTS } from '../lab/names.js';

const nameOption = {
  type: 'string',
  default: DEFAULT_LAB_NAME,
  describe: 'lab name, 1-8 of a-z 0-9 (several labs can run side by side)',
} as const;

const upCommand: CommandModule<object, { name: string; hosts?: number; subnet?: string }> = {
  command: 'up',
  describe: 'Create the lab hosts (namespaces with sshd and nginx) and print an inventory of them for haup deploy',
  builder: (y) =>
    y
      .option('hosts', { type: 'number', describe: `number of hosts, 1-${MAX_HOSTS} (default 2; omit to accept a running lab as is)` })
      .option('name', nameOption)
      .option('subnet', { type: 'string', describe: 'IPv4 network for the lab (default: first free /24 of 10.254.0.0/16)' })
      .example('$0 lab up', 'two hosts h1, h2 at 10.254.0.11 and .12')
      .example('$0 lab up --hosts 6 > lab6.yml', 'six hosts in three pairs; the inventory goes to stdout (and /var/lib/haup/lab/NAME/)')
      .example('$0 lab up --name demo --subnet 10.99.0.0/24', 'a second lab on a chosen network'),
  handler: async (argv) => (await import('../lab/command-handlers.js')).runLabUp(argv),
};

const downCommand: CommandModule<object, { name: string }> = {
  command: 'down',
  describe: 'Remove every namespace, bridge, process and file of the lab',
  builder: (y) => y.option('name', nameOption).example('$0 lab down', 'remove the default lab'),
  handler: async (argv) => (await import('../lab/command-handlers.js')).runLabDown(argv),
};

const statusCommand: CommandModule<object, { name: string; json: boolean }> = {
  command: 'status',
  describe: 'Show the lab hosts, their addresses and whether sshd and nginx run (exit 1 if not)',
  builder: (y) =>
    y
      .option('name', nameOption)
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for machines' })
      .example('$0 lab status', 'a table of hosts')
      .example('$0 lab status --json', 'the same as JSON'),
  handler: async (argv) => (await import('../lab/command-handlers.js')).runLabStatus(argv),
};

export const labCommand: CommandModule = {
  command: 'lab <command>',
  describe: 'Start, stop or show a local lab of SSH hosts in network namespaces',
  builder: (y: Argv) =>
    y
      .command(upCommand)
      .command(downCommand)
      .command(statusCommand)
      .demandCommand(1, 'Name a lab command: up, down or status.')
      .example('$0 lab up --hosts 3', 'three hosts to deploy to')
      .example('$0 lab status', 'show them')
      .example('$0 lab down', 'remove them'),
  handler: () => undefined,
};
