// A body or summary cut at a limit can end with the start of a secret; the
// redactor hides that tail too.

import { createRedactor, REDACTED } from '../../src/trace/redact.js';

const SECRET = 'AKEY_abcdefghijklmnopqrstuvwxyz_0123456789';

test('a cut body ending in part of a secret loses that part', () => {
  const redactor = createRedactor({ secrets: [SECRET] });
  const event = redactor.event({
    type: 'response', at: 1, status: 400, headers: [],
    body: `{"error":"bad key ${SECRET.slice(0, 22)}`, bodyCut: 100,
  });
  expect(event.type === 'response' && event.body).toBe(`{"error":"bad key ${REDACTED}`);
});

test('a summary cut with an ellipsis loses a secret prefix before it', () => {
  const redactor = createRedactor({ secrets: [SECRET] });
  const outcome = redactor.outcome({ ok: false, summary: `400 Bad Request: key ${SECRET.slice(0, 12)}...` });
  expect(outcome.summary).toBe(`400 Bad Request: key ${REDACTED}...`);
  expect(outcome.summary).not.toContain('AKEY_abc');
});

test('an uncut body keeps words that merely start like a secret', () => {
  const redactor = createRedactor({ secrets: [SECRET] });
  const event = redactor.event({ type: 'response', at: 1, status: 200, headers: [], body: 'AKEY' });
  expect(event.type === 'response' && event.body).toBe('AKEY');
});
