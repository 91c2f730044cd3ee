import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RateLimit, RatePolicy } from '../../src/common/decorators/rate-limit.decorator.js';

/** Embedding inputs of an OpenAI-style body: a string is one, an array is its length. */
export const inputsOf = (req: FastifyRequest): number => {
  const input = (req.body as { input?: unknown } | undefined)?.input;
  return Array.isArray(input) ? input.length : typeof input === 'string' ? 1 : 0;
};

/** Test-only routes: a costly one under the embeddings policy, without the model (the real POST /v1/embeddings is in test/charges.e2e.test.ts). */
@Controller('v1/test-limits')
class LimitsTestController {
  @Post('embed')
  @RateLimit(RatePolicy.Embeddings, inputsOf)
  embed(@Body() body: Record<string, unknown>): { ok: true; n: number } {
    const input = body.input;
    return { ok: true, n: Array.isArray(input) ? input.length : 1 };
  }

  /** Under the general policies only (and `bytes`, as every request with a body). */
  @Post('echo')
  echo(@Body() body: Record<string, unknown>): { ok: true; keys: number } {
    return { ok: true, keys: Object.keys(body).length };
  }

  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [LimitsTestController] })
export class LimitsTestModule {}
