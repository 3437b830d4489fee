/** Every connector kind the compliance suite runs. A new kind adds its adapter file and one line here. */
import { localFolder, sftpFolder } from './file.js';
import { open311 } from './open311.js';
import { rest } from './rest.js';
import { restCookieSession, restOAuth2 } from './rest-backends.js';
import { soap } from './soap.js';
import { push } from './push.js';
import { mariadb, postgres } from './sql.js';
import type { SourceKind } from './types.js';

export const SOURCE_KINDS: SourceKind[] = [localFolder, sftpFolder, postgres, mariadb, soap, rest, restOAuth2, restCookieSession, push, open311];
