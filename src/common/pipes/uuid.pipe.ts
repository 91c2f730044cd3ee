import { Injectable, PipeTransform } from '@nestjs/common';
import { badRequest } from '../filters/problem.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids must be uuids: a bad one is 400 before any query runs. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw badRequest('id must be a uuid');
    return value.toLowerCase();
  }
}
