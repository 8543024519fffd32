// The list of haup's commands; each module defines its options and lazily imports its handler.
import type { CommandModule } from 'yargs';
import { labCommand } from './lab.js';
import { renderCommand } from './render.js';
import { deployCommand } from './deploy.js';
import { statusCommand } from './status.js';
import { verifyCommand } from './verify.js';
import { demoCommand } from './demo.js';
import { disconnectCommand, keeperCommand } from './disconnect.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [labCommand, renderCommand, deployCommand, statusCommand, verifyCommand, demoCommand, disconnectCommand, keeperCommand];
