import { ConnectorError } from '@connector-kit/connector-core';
import { collectionNameProblem, KeyMapper } from '@connector-kit/storage-mongodb';
import { Binary } from 'mongodb';

describe('key mapping', () => {
  const split = new KeyMapper('app', 'p:', 'records', '/', 64);

  it('without a split character every key goes whole to the default collection, prefix included', () => {
    const plain = new KeyMapper('app', 'p:', 'records', '', 64);
    expect(plain.locate('p:user/123')).toEqual(
      jasmine.objectContaining({ collection: 'records', id: 'p:user/123' }),
    );
  });

  it('splits at the first split character: collection, then prefix + id', () => {
    expect(split.locate('p:user/123')).toEqual(jasmine.objectContaining({ collection: 'user', id: 'p:123' }));
    expect(split.locate('p:user/a/b')).toEqual(jasmine.objectContaining({ collection: 'user', id: 'p:a/b' }));
    expect(split.locate('p:user/')).toEqual(jasmine.objectContaining({ collection: 'user', id: 'p:' }));
    expect(split.locate('p:plain')).toEqual(
      jasmine.objectContaining({ collection: 'records', id: 'p:plain' }),
    );
  });

  it('a multi-character split string works', () => {
    const mapper = new KeyMapper('app', '', 'records', '::', 64);
    expect(mapper.locate('user::1')).toEqual(jasmine.objectContaining({ collection: 'user', id: '1' }));
  });

  it('keys whose collection part is unusable go whole to the default collection', () => {
    const roomy = new KeyMapper('app', 'p:', 'records', '/', 1024);
    for (const key of [
      '/x',
      '$bad/x',
      'system.users/x',
      'a\0b/x',
      '.dot/x',
      'dot./x',
      'a..b/x',
      `${'c'.repeat(300)}/x`,
    ]) {
      expect(roomy.locate(`p:${key}`))
        .withContext(JSON.stringify(key))
        .toEqual(jasmine.objectContaining({ collection: 'records', id: `p:${key}` }));
    }
  });

  it('keys naming the default collection are stored whole, so "records/x" cannot collide with "x"', () => {
    const a = split.locate('p:records/x');
    const b = split.locate('p:x');
    expect(a.collection).toBe(b.collection);
    expect(a.id).not.toEqual(b.id);
  });

  it('ids longer than maxIdBytes become a SHA-256 binary id, deterministic, with the id kept', () => {
    const long = `p:user/${'é'.repeat(40)}`;
    const first = split.locate(long);
    const second = split.locate(long);
    expect(first.collection).toBe('user');
    expect(first.id instanceof Binary).toBe(true);
    expect((first.id as Binary).length()).toBe(32);
    expect(first.longId).toBe(`p:${'é'.repeat(40)}`);
    expect(first.token).toBe(second.token);
    expect(split.locate(`p:user/${'é'.repeat(41)}`).token).not.toBe(first.token);
    // 32 two-byte characters are exactly 64 bytes: still a string.
    expect(split.locate(`p:user/${'é'.repeat(31)}`).id).toBe(`p:${'é'.repeat(31)}`);
  });

  it('rejects an invalid default collection with CONFIG naming the field', () => {
    for (const name of ['', 'a$b', 'system.x']) {
      let error: unknown;
      try {
        new KeyMapper('app', '', name, '', 64);
      } catch (err) {
        error = err;
      }
      expect(error instanceof ConnectorError && error.code === 'CONFIG')
        .withContext(name)
        .toBe(true);
      expect((error as ConnectorError).details.field).toBe('defaultCollection');
    }
  });

  it('knows MongoDB collection naming rules', () => {
    expect(collectionNameProblem('db', 'users')).toBeNull();
    expect(collectionNameProblem('db', 'a.b')).toBeNull();
    expect(collectionNameProblem('db', 'ключ 😀')).toBeNull();
    expect(collectionNameProblem('db', '')).not.toBeNull();
    expect(collectionNameProblem('db', 'x'.repeat(252))).toBeNull();
    expect(collectionNameProblem('db', 'x'.repeat(253))).not.toBeNull();
  });
});
