/**
 * SSH keys for the test SFTP server and its clients.
 *
 * Not ssh2's `utils.generateKeyPairSync('ed25519')`: about one key in 256 has a public half whose
 * first byte is 0, and ssh2 writes it 31 bytes long, so its own `parseKey` then returns an Error
 * ("Malformed OpenSSH public key") and a host key test failed by chance. ECDSA P-256 keys from
 * node:crypto in SEC1 PEM parse every time, and every parse is checked rather than cast.
 */
import { generateKeyPairSync } from 'node:crypto';
import { utils, type ParsedKey } from 'ssh2';

export function parseSshKey(text: string | Buffer, what: string): ParsedKey {
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error) throw new Error(`${what}: ssh2 could not parse the key: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || typeof key.getPublicSSH !== 'function') throw new Error(`${what}: ssh2 parsed the key into something that is not a key`);
  return key;
}

export interface SshKeyPair {
  /** PEM private key, as a host key for ssh2's Server or a client's privateKey. */
  private: string;
  /** OpenSSH public key line, e.g. for an allowed client key. */
  public: string;
  parsed: ParsedKey;
}

export function generateSshKeyPair(what: string): SshKeyPair {
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
  });
  const parsed = parseSshKey(privateKey, what);
  const publicLine = `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
  parseSshKey(publicLine, `${what} (public half)`);
  return { private: privateKey, public: publicLine, parsed };
}
