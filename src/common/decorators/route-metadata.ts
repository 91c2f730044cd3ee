import { Reflector } from '@nestjs/core';

/** Kept for a key no decorator set (one lookup a call, not two). */
const NONE = Symbol('none');

/** A handler and its class, or any targets Nest's Reflector takes. */
type Targets = Parameters<Reflector['getAllAndOverride']>[1];

/**
 * Nest's Reflector with `getAllAndOverride` over a handler and its class memoised: route metadata
 * is fixed once the decorators have run, and reflect-metadata walks the prototype chain on every
 * lookup, while each request's guards (the tenant guard, admission, the limiter's throttlers, a
 * dozen keys) read it again. Other lookups, and targets other than a [handler, class] pair, go to
 * Nest's own. AppModule provides it as `Reflector`; RateLimitGuard hands it to its throttlers.
 */
export class RouteMetadata extends Reflector {
  private readonly byHandler = new WeakMap<object, WeakMap<object, Map<unknown, unknown>>>();

  override getAllAndOverride<TResult = any>(keyOrDecorator: any, targets: Targets): TResult {
    const [handler, classRef] = targets;
    if (targets.length !== 2 || typeof handler !== 'function' || typeof classRef !== 'function')
      return super.getAllAndOverride(keyOrDecorator, targets);
    let byClass = this.byHandler.get(handler);
    if (!byClass) this.byHandler.set(handler, (byClass = new WeakMap()));
    let values = byClass.get(classRef);
    if (!values) byClass.set(classRef, (values = new Map()));
    const known = values.get(keyOrDecorator);
    if (known !== undefined) return (known === NONE ? undefined : known) as TResult;
    const value = super.getAllAndOverride<TResult>(keyOrDecorator, [handler, classRef]);
    values.set(keyOrDecorator, value === undefined ? NONE : value);
    return value;
  }
}

/** The one instance: its memo is shared by every guard that reads route metadata. */
export const routeMetadata = new RouteMetadata();
