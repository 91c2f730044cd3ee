var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Inject, Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { EmbeddingsConfig } from '../../config/slices.js';
import { ProblemException } from '../../common/filters/problem.js';
import { FairScheduler, fairKey } from '../../common/fair/fair-scheduler.js';
import { TENANT_KEY } from '../../tenancy/tenant-context.js';
import { batches, EmbeddingProvider, EmbeddingProviderError, } from './embedding-provider.js';
/**
 * Embeds for the API and the other features; maps a provider failure to 503 problem+json.
 * The model is a shared engine: each batch waits its org's turn (FairScheduler), so one org's
 * thousand-chunk backlog delays another org's query by at most the batch already running.
 */
let EmbeddingsService = class EmbeddingsService {
    constructor(provider, embeddingsConfig, cls) {
        this.provider = provider;
        this.embeddingsConfig = embeddingsConfig;
        this.cls = cls;
        this.engine = new FairScheduler({
            name: 'embeddings',
            // the local model is one thread; a remote API takes a few calls at once
            slots: provider.kind === 'local' ? 1 : embeddingsConfig.concurrency,
            maxQueuedPerOrg: embeddingsConfig.maxQueuedPerOrg,
            timeoutMs: embeddingsConfig.timeoutMs,
        });
    }
    get dimension() {
        return this.provider.dimension;
    }
    /** Embeds `texts` in batches, each batch scheduled fairly under the caller's org. */
    async embed(texts, opts = {}) {
        const ctx = this.cls.isActive() ? this.cls.get(TENANT_KEY) : undefined;
        const key = fairKey(ctx);
        try {
            const out = { vectors: [], tokens: 0 };
            for (const batch of batches(texts, this.embeddingsConfig.batchSize)) {
                const r = await this.engine.run(key, () => this.provider.embed(batch), {
                    cls: opts.cls,
                    signal: opts.signal,
                });
                out.vectors.push(...r.vectors);
                out.tokens += r.tokens;
            }
            return out;
        }
        catch (e) {
            if (e instanceof EmbeddingProviderError) {
                throw new ProblemException(503, 'unavailable', `embedding model unavailable: ${e.message}`, {}, { 'Retry-After': '5' });
            }
            throw e;
        }
    }
    /** POST /v1/embeddings: the OpenAI answer shape. */
    async create(body) {
        if (body.dimensions !== undefined && body.dimensions !== this.provider.dimension) {
            throw new ProblemException(400, 'validation', 'the request is invalid', {
                errors: { dimensions: [`this deployment's model gives ${this.provider.dimension} dimensions`] },
            });
        }
        const inputs = typeof body.input === 'string' ? [body.input] : body.input;
        const { vectors, tokens } = await this.embed(inputs);
        const base64 = body.encoding_format === 'base64';
        return {
            object: 'list',
            data: vectors.map((v, index) => ({
                object: 'embedding',
                index,
                embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
            })),
            model: this.provider.model,
            usage: { prompt_tokens: tokens, total_tokens: tokens },
        };
    }
};
EmbeddingsService = __decorate([
    Injectable(),
    __param(0, Inject(EmbeddingProvider)),
    __param(1, Inject(EmbeddingsConfig)),
    __metadata("design:paramtypes", [EmbeddingProvider,
        EmbeddingsConfig,
        ClsService])
], EmbeddingsService);
export { EmbeddingsService };
//# sourceMappingURL=embeddings.service.js.map