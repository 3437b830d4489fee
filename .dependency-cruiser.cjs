/**
 * Which way imports go (docs/connector-spec.md, "Layers"). Checked in `npm test` by
 * tests/architecture/imports.test.ts; `npm run check:imports` runs it alone.
 * core ← event ← normalize; core ← connectors, publish; runtime uses connectors, normalize,
 * publish, config; track uses core, event, config; only the CLI uses the CLI.
 */
const layer = (name, allowed, comment) => ({
  name: `${name}-imports-only-${allowed.length ? allowed.join('-') : 'itself'}`,
  severity: 'error',
  comment,
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...allowed.map((a) => `^src/${a}/`)] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'A cycle means two modules are one module in two files.', from: {}, to: { circular: true } },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    layer('core', [], 'core holds the contracts and plumbing every layer uses; it uses nothing above it.'),
    layer('event', ['core'], 'The case event contract depends only on core.'),
    layer('normalize', ['core', 'event'], 'Mapping and change detection are pure: no connectors, publishers, runtime or config loading.'),
    layer('connectors', ['core', 'event', 'config'], 'Connectors read suppliers; they never normalise, publish or commit (the runtime does).'),
    layer('publish', ['core', 'event', 'config'], 'Publishers write events; they know nothing of connectors, mapping or the runtime.'),
    layer('config', ['core', 'event', 'normalize', 'connectors', 'publish'], 'Config composes the schemas the kinds declare; it never reaches the runtime.'),
    layer('runtime', ['core', 'event', 'normalize', 'connectors', 'publish', 'config'], 'The runtime drives everything below it and nothing above it.'),
    layer('track', ['core', 'event', 'config'], 'The tracker reads the stream; it never imports the gateway.'),
    {
      name: 'connector-kinds-stay-in-their-folder',
      severity: 'error',
      comment: 'A connector kind imports only its own folder and connectors/shared; shared code moves to shared/ or core.',
      from: { path: '^src/connectors/([^/]+)/' },
      to: { path: '^src/connectors/', pathNot: ['^src/connectors/$1/', '^src/connectors/shared/'] },
    },
    {
      name: 'publisher-kinds-stay-in-their-folder',
      severity: 'error',
      comment: 'A publisher kind imports only its own folder (and the shared files at publish/ top level).',
      from: { path: '^src/publish/([^/]+)/' },
      to: { path: '^src/publish/[^/]+/', pathNot: ['^src/publish/$1/'] },
    },
    { name: 'only-the-cli-imports-the-cli', severity: 'error', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
