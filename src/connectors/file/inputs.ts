/**
 * Which entries of the drop folder are inputs, in reading order: wanted by the pattern, not
 * ignored, not a completion marker, and regular files. Links and special files are never read but
 * reported once, so a watcher scanning every second does not repeat itself.
 */
import picomatch from 'picomatch';
import type { Logger } from '../../core/logger.js';
import type { SourceObserver } from '../../core/source.js';
import type { FileConnectorConfig } from './config.js';
import type { DroppedFile } from './store.js';

export interface InputFilter {
  isWanted(name: string): boolean;
  isIgnored(name: string): boolean;
  /** The completion marker a file waits for (export.csv → export.csv.done), if markers are used. */
  markerFor(name: string): string | undefined;
  order: FileConnectorConfig['order'];
}

export function createInputFilter(config: Pick<FileConnectorConfig, 'pattern' | 'ignore' | 'ready' | 'order'>): InputFilter {
  const patterns = Array.isArray(config.pattern) ? config.pattern : [config.pattern];
  const isWanted = picomatch(patterns, { dot: false, nocase: false });
  const isIgnored = picomatch(config.ignore.length ? config.ignore : ['\0'], { dot: true });
  return { isWanted, isIgnored, markerFor: (name) => markerName(config.ready.marker, name), order: config.order };
}

/** `{name}.done` / `{stem}.ok` → the marker's name for one file. */
export function markerName(template: string | undefined, name: string): string | undefined {
  if (!template) return undefined;
  const dot = name.lastIndexOf('.');
  return template.replaceAll('{name}', name).replaceAll('{stem}', dot > 0 ? name.slice(0, dot) : name);
}

export interface SelectedInputs {
  /** Candidate input files in reading order. */
  files: DroppedFile[];
  /** Every regular file's name (markers included), to tell whether a marker is present. */
  names: Set<string>;
  /** Wanted entries that are not regular files. */
  notRegular: Array<{ name: string; kind: 'symlink' | 'special' }>;
}

export function selectInputs(listed: DroppedFile[], filter: InputFilter): SelectedInputs {
  const all = listed.filter((f) => !f.notRegular);
  const notRegular = listed.flatMap((f) => (f.notRegular && filter.isWanted(f.name) && !filter.isIgnored(f.name) ? [{ name: f.name, kind: f.notRegular }] : []));
  const names = new Set(all.map((f) => f.name));
  const markers = new Set<string>();
  for (const f of all) {
    const m = filter.markerFor(f.name);
    if (m) markers.add(m);
  }
  const files = all.filter((f) => filter.isWanted(f.name) && !filter.isIgnored(f.name) && !markers.has(f.name));
  files.sort((a, b) => (filter.order === 'mtime' ? a.mtimeMs - b.mtimeMs : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files, names, notRegular };
}

/** Warns and counts each entry that is not a regular file once per process. */
export function createNotRegularReporter(log: Logger, observe: SourceObserver | undefined): (name: string, kind: 'symlink' | 'special') => void {
  const reported = new Set<string>();
  return (name, kind) => {
    if (reported.has(name)) return;
    if (reported.size > 10_000) reported.clear();
    reported.add(name);
    observe?.skippedEntry(kind);
    const what = kind === 'symlink' ? 'a symlink (it could point anywhere)' : 'a special file (FIFO, socket or device; reading it could block)';
    log.warn({ file: name, kind }, `skipped ${name} in the drop folder: ${what}; only regular files are read`);
  };
}
