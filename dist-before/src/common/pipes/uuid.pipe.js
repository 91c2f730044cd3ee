var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Injectable } from '@nestjs/common';
import { badRequest } from '../filters/problem.js';
import { isUuid } from '../uuid.js';
/** Path ids must be uuids: a bad one is 400 before any query runs. */
let UuidPipe = class UuidPipe {
    transform(value) {
        if (!isUuid(value))
            throw badRequest('id must be a uuid');
        return value.toLowerCase();
    }
};
UuidPipe = __decorate([
    Injectable()
], UuidPipe);
export { UuidPipe };
//# sourceMappingURL=uuid.pipe.js.map