import { describe, expect, it } from 'vitest';
import { routePattern } from './method-not-allowed.js';

describe(routePattern.name, () => {
  it('matches a parameter as one segment, a wildcard as the rest, and nothing else', () => {
    const thread = routePattern('/v1/threads/:id/messages');
    expect(thread.test('/v1/threads/abc/messages')).toBe(true);
    expect(thread.test('/v1/threads/abc/messages/')).toBe(true);
    expect(thread.test('/v1/threads/a/b/messages')).toBe(false);
    expect(thread.test('/v1/threads//messages')).toBe(false);
    expect(thread.test('/v1/threads/abc/messagesx')).toBe(false);
    expect(routePattern('/docs/*').test('/docs/swagger-ui.css')).toBe(true);
    // regex characters in a path are literal
    expect(routePattern('/v1/a.b').test('/v1/axb')).toBe(false);
    expect(routePattern('/v1/a.b').test('/v1/a.b')).toBe(true);
  });
});
