import { test, expect } from '@playwright/test';
import SwaggerParser from '@apidevtools/swagger-parser';

test('the OpenAPI document validates against the OpenAPI 3.1 schema', async ({ request }) => {
  const r = await request.get('/api/openapi.json');
  expect(r.status()).toBe(200);
  const doc = await r.json();
  expect(doc.openapi).toBe('3.1.0');
  // A structured clone: the validator dereferences in place.
  await SwaggerParser.validate(structuredClone(doc));
  expect(Object.keys(doc.paths).length).toBeGreaterThan(30);

  // The validator does refuse a broken document (so the pass above means something).
  const broken = structuredClone(doc);
  broken.paths['/api/members/list'].post.responses = 'not responses';
  await expect(SwaggerParser.validate(broken)).rejects.toThrow();
});
