/**
 * An integer in a JSON body: TypeBox's own Integer. Elysia's `t.Integer` is a transform that also accepts
 * numeric strings (meant for query strings and form fields); one such field anywhere in a body schema makes
 * Elysia decode every request body through TypeBox's transform walker, a full second pass over the messages
 * after the check, whose cost grows with the body (measured: the larger part of the relay's validation CPU on
 * a long agent conversation). JSON clients send numbers, and the APIs we stand in for reject "100" for
 * max_tokens, so the plain check is also the faithful one.
 */
import { Type, type IntegerOptions } from "@sinclair/typebox";

export const jsonInteger = (options?: IntegerOptions) => Type.Integer(options);
