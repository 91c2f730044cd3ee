import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contextMessage, parseContextKeys, signContext, tenantBeginParams } from './context-mac.js';

const secret = (b: number) => Buffer.alloc(32, b);
const ctx = { orgId: 'AAAAAAAA-0000-4000-8000-000000000001', userId: null, role: null, actorRole: 'system', requestId: 'req-1' };

describe(parseContextKeys.name, () => {
  it('reads id:secret pairs in order (the first signs), base64 or base64url', () => {
    const url = secret(0xfb).toString('base64url');
    const sut = parseContextKeys(`k2:${secret(2).toString('base64')},k1:${url}`);
    expect(sut.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(sut[0].secret).toEqual(secret(2));
    expect(sut[1].secret).toEqual(secret(0xfb));
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => parseContextKeys(`k:${Buffer.alloc(16).toString('base64')}`)).toThrow(/shorter than 32 bytes/);
  });
});

describe(contextMessage.name, () => {
  it('length-prefixes every field, lower-cases uuids, writes null as empty', () => {
    expect(contextMessage(ctx, 1700000000000)).toBe(
      '24:rocker-tenant-context-v136:aaaaaaaa-0000-4000-8000-0000000000010:0:6:system5:req-113:1700000000000',
    );
  });

  it('no two contexts give the same message by moving text between fields', () => {
    const a = contextMessage({ ...ctx, role: 'ad', actorRole: 'min' }, 1);
    const b = contextMessage({ ...ctx, role: 'adm', actorRole: 'in' }, 1);
    expect(a).not.toBe(b);
  });
});

describe(tenantBeginParams.name, () => {
  it("is tenant_begin()'s eight arguments, the MAC an HMAC-SHA256 of the message under the key", () => {
    const [key] = parseContextKeys(`k1:${secret(1).toString('base64')}`);
    const sut = tenantBeginParams(key, ctx, 42);
    expect(sut.slice(0, 7)).toEqual(['aaaaaaaa-0000-4000-8000-000000000001', null, null, 'system', 'req-1', 42, 'k1']);
    expect(sut[7]).toEqual(createHmac('sha256', secret(1)).update(contextMessage(ctx, 42)).digest());
    expect(signContext(key, { ...ctx, orgId: null }, 42)).not.toEqual(sut[7]);
  });
});
