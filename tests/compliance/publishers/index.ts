/** Every publisher kind the compliance suite runs. A new kind adds its adapter file and one line here. */
import { kafka } from './kafka.js';
import { localLog } from './local-log.js';
import { stdout } from './stdout.js';
import type { PublisherKind } from './types.js';

export const PUBLISHER_KINDS: PublisherKind[] = [kafka, localLog, stdout];
