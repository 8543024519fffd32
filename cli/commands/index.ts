// The list of haup's commands; each module defines its options and lazily imports its handler.
import type { CommandModule } from 'yargs';
import { labCommand } from './lab.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [labCommand];
