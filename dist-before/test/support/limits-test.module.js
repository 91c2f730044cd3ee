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
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { RateLimit, RatePolicy } from '../../src/common/decorators/rate-limit.decorator.js';
/** Embedding inputs of an OpenAI-style body: a string is one, an array is its length. */
export const inputsOf = (req) => {
    const input = req.body?.input;
    return Array.isArray(input) ? input.length : typeof input === 'string' ? 1 : 0;
};
/** Test-only routes: a costly one under the embeddings policy (the real one lives on another branch). */
let LimitsTestController = class LimitsTestController {
    embed(body) {
        const input = body.input;
        return { ok: true, n: Array.isArray(input) ? input.length : 1 };
    }
    ping() {
        return { ok: true };
    }
};
__decorate([
    Post('embed'),
    RateLimit(RatePolicy.Embeddings, inputsOf),
    __param(0, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object]),
    __metadata("design:returntype", Object)
], LimitsTestController.prototype, "embed", null);
__decorate([
    Get('ping'),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", Object)
], LimitsTestController.prototype, "ping", null);
LimitsTestController = __decorate([
    Controller('v1/test-limits')
], LimitsTestController);
let LimitsTestModule = class LimitsTestModule {
};
LimitsTestModule = __decorate([
    Module({ controllers: [LimitsTestController] })
], LimitsTestModule);
export { LimitsTestModule };
//# sourceMappingURL=limits-test.module.js.map