import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { parseHTML } from 'linkedom';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';

/**
 * Stored XSS through every HTML path (POST /v1/knowledge {html} and HTML uploads): whatever goes
 * in, the stored HTML parsed again has no script-capable element, no on* attribute, no style and
 * no URL with a scheme other than http(s)/mailto.
 */
const VECTORS: string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/x.js></SCRIPT>',
  '<script>/*</script><script>*/alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(1);">',
  '<IMG SRC=javascript:alert(1)>',
  '<IMG SRC=JaVaScRiPt:alert(1)>',
  '<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;>',
  '<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x31&#x29>',
  '<IMG SRC="jav\tascript:alert(1);">',
  '<IMG SRC="jav&#x09;ascript:alert(1);">',
  '<IMG SRC="jav&#x0A;ascript:alert(1);">',
  '<IMG SRC=" &#14;  javascript:alert(1);">',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JAVASCRIPT:alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="java\u0000script:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href="javascript&colon;alert(1)">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<a href="//evil.example/">protocol relative</a>',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<body onload=alert(1)>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<frameset><frame src="javascript:alert(1)"></frameset>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<form action="javascript:alert(1)"><input type=submit></form>',
  '<button formaction="javascript:alert(1)">x</button>',
  '<input onfocus=alert(1) autofocus>',
  '<select onfocus=alert(1) autofocus>',
  '<textarea onfocus=alert(1) autofocus>',
  '<keygen onfocus=alert(1) autofocus>',
  '<video><source onerror="alert(1)"></video>',
  '<audio src=x onerror=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<marquee onstart=alert(1)>',
  '<div style="background-image: url(javascript:alert(1))">x</div>',
  '<div style="width: expression(alert(1))">x</div>',
  '<p style="background:url(https://evil.example/track.png)">x</p>',
  '<style>@import "https://evil.example/x.css";</style>',
  '<style>body{background:url(javascript:alert(1))}</style>',
  '<link rel="stylesheet" href="https://evil.example/x.css">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="javascript:alert(1)//">',
  '<table background="javascript:alert(1)">',
  '<td background="javascript:alert(1)">',
  '<img dynsrc="javascript:alert(1)">',
  '<img lowsrc="javascript:alert(1)">',
  '<img srcset="javascript:alert(1) 1x">',
  '<bgsound src="javascript:alert(1)">',
  '<br size="&{alert(1)}">',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<xss onmouseover=alert(1)>hover</xss>',
  '<a href="https://ok.example/" onclick="alert(1)">ok link</a>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<<script>alert(1);//<</script>',
  '<img """><script>alert(1)</script>">',
  '<template><script>alert(1)</script></template>',
  '<isindex type=image src=1 onerror=alert(1)>',
  '<object type="text/x-scriptlet" data="https://evil.example/x.sct"></object>',
  '<applet code="x.class"></applet>',
  '<div onmouseover="alert(1)" title="x">y</div>',
  '<a href="\u0001javascript:alert(1)">x</a>',
  '<a href="java&#13;script:alert(1)">x</a>',
  '<img src=`javascript:alert(1)`>',
];

const DANGEROUS_ELEMENTS = ['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'input', 'button', 'textarea', 'select', 'style', 'link', 'meta', 'base', 'svg', 'math', 'template', 'keygen', 'isindex', 'bgsound'];
const URL_ATTRS = ['href', 'src', 'cite', 'action', 'formaction', 'xlink:href', 'background', 'poster', 'data', 'dynsrc', 'lowsrc', 'srcset'];

/** Problems found in an HTML string after parsing it again (empty = safe). */
function findProblems(html: string): string[] {
  const problems: string[] = [];
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  for (const tag of DANGEROUS_ELEMENTS) if (document.querySelectorAll(tag).length) problems.push(`element <${tag}>`);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of Array.from(el.attributes) as { name: string; value: string }[]) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) problems.push(`attribute ${name} on <${el.tagName.toLowerCase()}>`);
      if (name === 'style') problems.push(`style attribute on <${el.tagName.toLowerCase()}>`);
      if (name === 'srcdoc') problems.push('srcdoc attribute');
      if (URL_ATTRS.includes(name)) {
        // eslint-disable-next-line no-control-regex -- browsers ignore these inside URLs
        const v = attr.value.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
        const scheme = /^([a-z][a-z0-9+.-]*):/.exec(v)?.[1];
        if (name === 'srcset' || name === 'background' || name === 'dynsrc' || name === 'lowsrc' || name === 'data') problems.push(`attribute ${name}`);
        else if (scheme && !['http', 'https', 'mailto'].includes(scheme)) problems.push(`${name}="${attr.value}" (scheme ${scheme})`);
        else if (v.startsWith('//')) problems.push(`${name} protocol-relative`);
      }
    }
  }
  return problems;
}

describe('XSS through the HTML paths', () => {
  let db: TestDb;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    token = (await orgWithRoles(db.owner)).tokens.member;
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it(`has at least 50 vectors (${VECTORS.length})`, () => expect(VECTORS.length).toBeGreaterThanOrEqual(50));

  it('the checker itself sees the raw vectors as dangerous', () => {
    // Guards the test: if findProblems saw nothing in the raw input, a pass would prove nothing.
    const flagged = VECTORS.filter((v) => findProblems(v).length > 0);
    expect(flagged.length).toBeGreaterThanOrEqual(50);
  });

  it.each(VECTORS.map((v, i) => [i, v]))('POST /v1/knowledge {html} #%i is stored harmless', async (_i, vector) => {
    const html = `<p>before</p>${vector}<p>after</p>`;
    const res = await request(t.url).post('/v1/knowledge').set('Authorization', `Bearer ${token}`).send({ title: 'xss', html }).expect(201);
    const stored = await request(t.url).get(`/v1/knowledge/${res.body.id}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(typeof stored.body.content_html).toBe('string');
    expect(findProblems(stored.body.content_html)).toEqual([]);
  });

  it.each(VECTORS.map((v, i) => [i, v]))('HTML upload #%i is stored harmless', async (_i, vector) => {
    const html = `<!doctype html><html><head><title>t</title></head><body><p>before</p>${vector}<p>after</p></body></html>`;
    const res = await request(t.url)
      .post('/v1/knowledge/upload')
      .set('Authorization', `Bearer ${token}`)
      .attach('file', Buffer.from(html), { filename: 'page.html', contentType: 'text/html' });
    // eslint-disable-next-line no-control-regex -- vectors carrying control characters
    if (/[\u0000-\u0008\u000b\u000e-\u001f]/.test(vector)) {
      // Control characters make it binary, not text: refused before any parsing.
      expect(res.status).toBe(415);
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ source_kind: 'upload', mime_type: 'text/html' });
    const stored = await request(t.url).get(`/v1/knowledge/${res.body.id}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(findProblems(stored.body.content_html)).toEqual([]);
  });

  it('safe markup survives: links keep http(s) targets and get rel=noopener', async () => {
    const html = '<h2>Title</h2><p>Read <a href="https://docs.example.com/a" target="_blank">the docs</a> and <img src="https://img.example.com/x.png" alt="pic"></p>';
    const res = await request(t.url).post('/v1/knowledge').set('Authorization', `Bearer ${token}`).send({ title: 'ok', html }).expect(201);
    const stored = await request(t.url).get(`/v1/knowledge/${res.body.id}`).set('Authorization', `Bearer ${token}`).expect(200);
    const { document } = parseHTML(`<body>${stored.body.content_html}</body>`);
    const a = document.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://docs.example.com/a');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(document.querySelector('img')!.getAttribute('src')).toBe('https://img.example.com/x.png');
    expect(stored.body.content_text).toContain('the docs');
  });
});
