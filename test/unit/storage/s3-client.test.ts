import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listS3Files } from '../../../src/storage/list-s3-files.js';
import { S3Client, S3RequestError } from '../../../src/storage/s3-client.js';
import { startS3Server, type TestS3Server } from '../../helpers/s3-server.js';

describe('S3Client.presign: AWS Signature Version 4', () => {
  it('reproduces the presigned GET URL of the S3 documentation example, signature included (s3rver checks none)', () => {
    // The example of S3's "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)".
    const client = new S3Client({
      endpoint: undefined,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    const signedAt = new Date(Date.UTC(2013, 4, 24));
    const url = new URL(client.presign('GET', { bucket: 'examplebucket', key: 'test.txt' }, 86_400, signedAt));
    expect(url.origin + url.pathname).toBe('https://examplebucket.s3.amazonaws.com/test.txt');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request',
      'X-Amz-Date': '20130524T000000Z',
      'X-Amz-Expires': '86400',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    });
  });

  it('addresses a custom endpoint path-style, encodes keys once, and refuses lifetimes S3 refuses', () => {
    const client = new S3Client({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    });
    const url = new URL(client.presign('PUT', { bucket: 'b', key: 'in/a b+c(1).txt' }));
    expect(url.origin).toBe('http://127.0.0.1:9000');
    expect(url.pathname).toBe('/b/in/a%20b%2Bc%281%29.txt');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^K\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(() => client.presign('GET', { bucket: 'b', key: 'k' }, 604_801)).toThrow(RangeError);
    expect(() => client.presign('GET', { bucket: 'b', key: 'k' }, 0)).toThrow(RangeError);
  });
});

describe('S3Client against an S3-compatible server (s3rver)', () => {
  let server: TestS3Server;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parajob-s3-client-'));
    server = await startS3Server(join(dir, 'store'), ['data']);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts, lists across pages in byte order, copies, deletes; presigned GET and PUT work without credentials', async () => {
    const { client } = server;
    const keys = ['in/b.txt', 'in/a b+c.txt', 'in/sub/é.txt', 'in/sub/', 'in/Z.txt', 'other/x.txt'];
    for (const key of keys) await client.put({ bucket: 'data', key }, `body of ${key}`);

    // Pages of 2 keys: the listing follows continuation tokens to the end.
    const listed = await client.list({ bucket: 'data', key: 'in/' }, 2);
    expect(listed.map((object) => object.key)).toEqual([
      'in/Z.txt',
      'in/a b+c.txt',
      'in/b.txt',
      'in/sub/',
      'in/sub/é.txt',
    ]);
    expect(listed.find((object) => object.key === 'in/b.txt')?.size).toBe('body of in/b.txt'.length);

    const files = await listS3Files(
      client,
      { name: 'files', type: 'uri_folder', location: { bucket: 'data', key: 'in' } },
      2,
    );
    expect(files).toEqual({ root: 's3://data/in/', relativePaths: ['Z.txt', 'a b+c.txt', 'b.txt', 'sub/é.txt'] });
    const one = await listS3Files(client, {
      name: 'f',
      type: 'uri_file',
      location: { bucket: 'data', key: 'in/sub/é.txt' },
    });
    expect(one).toEqual({ root: 's3://data/in/sub/', relativePaths: ['é.txt'] });
    await expect(
      listS3Files(client, { name: 'f', type: 'uri_file', location: { bucket: 'data', key: 'in/missing.txt' } }),
    ).rejects.toThrow("input 'f' (uri_file): s3://data/in/missing.txt does not exist");

    // A presigned GET is all a node needs.
    const got = await fetch(client.presign('GET', { bucket: 'data', key: 'in/a b+c.txt' }));
    expect(await got.text()).toBe('body of in/a b+c.txt');
    const put = await fetch(client.presign('PUT', { bucket: 'data', key: 'up/x.txt' }), { method: 'PUT', body: 'up' });
    expect(put.status).toBe(200);
    expect((await client.get({ bucket: 'data', key: 'up/x.txt' })).toString()).toBe('up');

    const local = join(dir, 'local.txt');
    await writeFile(local, 'from a file\n'.repeat(1000));
    await client.putFile({ bucket: 'data', key: 'files/local.txt' }, local);
    expect((await client.get({ bucket: 'data', key: 'files/local.txt' })).toString()).toBe(
      'from a file\n'.repeat(1000),
    );

    await client.copy({ bucket: 'data', key: 'in/b.txt' }, { bucket: 'data', key: 'copied/b.txt' });
    expect((await client.get({ bucket: 'data', key: 'copied/b.txt' })).toString()).toBe('body of in/b.txt');
    await client.delete({ bucket: 'data', key: 'copied/b.txt' });
    await expect(client.get({ bucket: 'data', key: 'copied/b.txt' })).rejects.toBeInstanceOf(S3RequestError);
    await expect(client.list({ bucket: 'nobucket', key: '' })).rejects.toThrow(/NoSuchBucket/);
  }, 30_000);
});
