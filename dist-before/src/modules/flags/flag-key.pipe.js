var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Injectable } from '@nestjs/common';
import { badRequest } from '../../common/filters/problem.js';
import { FLAG_KEYS, isFlagKey } from './flag-key.js';
/** A path's flag key must be one the code knows: anything else is 400 before any query runs. */
let FlagKeyPipe = class FlagKeyPipe {
    transform(value) {
        if (!isFlagKey(value))
            throw badRequest('unknown flag key', { key: [`must be one of: ${FLAG_KEYS.join(', ')}`] });
        return value;
    }
};
FlagKeyPipe = __decorate([
    Injectable()
], FlagKeyPipe);
export { FlagKeyPipe };
//# sourceMappingURL=flag-key.pipe.js.map