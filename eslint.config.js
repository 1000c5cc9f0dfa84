// Lint, including the import-layer rules of architecture.md "Layers" (cycles: scripts/check-cycles.mjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const up = (dir) => [`**/${dir}/**`, `**/${dir}`];
const layer = (patterns, message) => ({ group: patterns, message });
const sharedLayer = layer([...up('qingcloud'), ...up('csi'), ...up('cni'), ...up('demo'), ...up('bench')], 'shared is the leaf layer: it imports nothing else from src/.');

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'charts/**', 'scripts/**', '*.config.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  // Only main.ts files (and benchmark/demo composition roots) read the environment or argv.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/main.ts', 'src/bench/**', 'src/demo/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only main.ts reads process.env; pass config in.' },
        { object: 'process', property: 'argv', message: 'Only main.ts reads process.argv; pass options in.' },
      ],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [sharedLayer] }],
    },
  },
  // The metrics registry runs in every driver and daemon: no module that costs resident memory or runs work between scrapes.
  {
    files: ['src/shared/prometheus.ts', 'src/shared/process-metrics.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['v8', 'perf_hooks', 'cluster', 'zlib', 'worker_threads'].flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'metrics are read at scrape time without timers, observers or extra built-ins (docs/metrics.md).' })),
        patterns: [sharedLayer],
      }],
    },
  },
  {
    files: ['src/qingcloud/**/*.ts'],
    ignores: ['src/qingcloud/sim/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [layer([...up('sim'), ...up('csi'), ...up('cni'), ...up('demo'), ...up('bench')], 'the SDK imports only shared (and never its own simulator).')] }],
    },
  },
  {
    files: ['src/qingcloud/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [layer([...up('csi'), ...up('cni'), ...up('demo'), ...up('bench')], 'the simulator builds on shared and the SDK only.')] }],
    },
  },
  {
    files: ['src/csi/**/*.ts'],
    ignores: ['src/csi/main.ts', 'src/csi/storage/qingcloud-block-storage.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [layer([...up('qingcloud'), ...up('cni'), ...up('demo')], 'CSI services use the BlockStorage port; only main.ts and the storage adapter import the SDK; csi never imports cni.')] }],
    },
  },
  {
    files: ['src/csi/main.ts', 'src/csi/storage/qingcloud-block-storage.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [layer([...up('sim'), ...up('cni'), ...up('demo')], 'csi never imports cni or the simulator.')] }],
    },
  },
  {
    files: ['src/cni/plugin/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['@grpc/grpc-js', '@grpc/proto-loader', 'pino', 'undici', 'yaml'].map((name) => ({ name, message: 'the exec\'d CNI plugin loads node built-ins only: its start-up is pod start-up.' })),
        patterns: [layer([...up('qingcloud'), ...up('csi'), ...up('daemon'), ...up('demo')], 'the CNI plugin never imports the SDK, the daemon or csi.')],
      }],
    },
  },
  {
    files: ['src/cni/**/*.ts'],
    ignores: ['src/cni/plugin/**', 'src/cni/daemon/main.ts', 'src/cni/daemon/qingcloud-nic-provider.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [layer([...up('qingcloud'), ...up('csi'), ...up('demo')], 'cni uses the NicProvider port; only daemon/main.ts and the NIC adapter import the SDK; cni never imports csi.')] }],
    },
  },
  {
    files: ['src/cni/daemon/main.ts', 'src/cni/daemon/qingcloud-nic-provider.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [layer([...up('sim'), ...up('csi'), ...up('demo')], 'cni never imports csi or the simulator.')] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests read decoded gRPC/JSON answers field by field.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
