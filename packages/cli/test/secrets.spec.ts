/** The scrubbing every printed line goes through, in-process. */
import { forgetSecrets, rememberSecretsIn, scrub } from '@connector-kit/cli/dist/secrets';

describe('scrub', () => {
  afterEach(() => forgetSecrets());

  it('redacts the user-info of any URL, keeping the user name', () => {
    expect(scrub('at redis://:pw1@h:1 and mongodb://app:pw2@db/x')).toBe(
      'at redis://***@h:1 and mongodb://app:***@db/x',
    );
  });

  it('hides secret query values up to the next &, # or whitespace, keeping the rest of the line', () => {
    expect(scrub('dynamodb://r/t?token=abc&x=1 failed: CONFIG')).toBe(
      'dynamodb://r/t?token=***&x=1 failed: CONFIG',
    );
  });

  it('hides a remembered password wherever a message quotes it, raw or percent-decoded', () => {
    rememberSecretsIn(['redis://:p%40ss%20word@h:1']);
    expect(scrub('auth failed for p@ss word (user default)')).toBe('auth failed for *** (user default)');
    expect(scrub('url redis://:p%40ss%20word@h:1')).toBe('url redis://***@h:1');
  });

  it('hides both halves of a password with a raw "@"', () => {
    rememberSecretsIn(['redis://:first@second@h:1']);
    // What core's pattern leaves of it: cut at the first "@".
    expect(scrub('redis://***@second@h:1')).toBe('redis://***@***@h:1');
    expect(scrub('redis://:first@second@h:1')).toBe('redis://***@h:1');
  });

  it('ignores arguments that are not URLs and secrets too short to replace safely', () => {
    rememberSecretsIn(['get', 'user/ada', 'redis://:ab@h:1', undefined]);
    expect(scrub('get user/ada: about')).toBe('get user/ada: about');
  });
});
