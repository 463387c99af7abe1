// An S3-compatible server for tests (s3rver, from npm) in its own process: `node
// --openssl-legacy-provider s3rver-main.mjs <folder> <bucket>...` serves <folder> on a free loopback
// port, creates the buckets, prints `listening <port>` and runs until killed. s3rver paginates
// ListObjectsV2 with DES-encrypted tokens, which OpenSSL 3 only has in its legacy provider. It does
// not check request signatures: tests of signing check the signature itself (s3-client.test.ts).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`listening ${port}\n`);
