#!/usr/bin/env node
// Runs every compiled spec of the monorepo in one jasmine run, so CI reads one summary line.
const path = require('node:path');
const { runSpecs } = require('../test-suite/dist/run-specs');

const root = path.join(__dirname, '..');
const only = process.argv.slice(2);
const specFiles =
  only.length > 0
    ? only
    : [
        'packages/connector-core/dist-test/**/*.spec.js',
        'test-suite/dist-test/**/*.spec.js',
        'packages/cache-redis/dist-test/**/*.spec.js',
        'packages/cache-memcached/dist-test/**/*.spec.js',
        'packages/storage-mongodb/dist-test/**/*.spec.js',
        'packages/storage-dynamodb/dist-test/**/*.spec.js',
        'packages/storage-lmdb/dist-test/**/*.spec.js',
        'template/dist-test/**/*.spec.js',
        'integration/dist-test/**/*.spec.js',
      ];

runSpecs({ projectBaseDir: root, specFiles, filter: process.env.SPEC_FILTER, defaultTimeoutMs: 30000 })
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  });
