import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

/**
 * Checks a JSON request body against a message type of the protos that ship with @google-cloud/aiplatform
 * (build/protos/protos.json), the way Vertex's JSON front end parses it (proto3 JSON mapping): unknown
 * fields, wrong JSON types, unknown enum names/numbers and two members of one oneof are refused. Returns the
 * first violation as Vertex words it ("Invalid JSON payload received. ..."), or undefined when the body parses.
 */

const require = createRequire(import.meta.url);
let root: protobuf.Root | undefined;

export function vertexProtos(): protobuf.Root {
  if (!root) {
    const json = require('@google-cloud/aiplatform/build/protos/protos.json') as protobuf.INamespace;
    root = protobuf.Root.fromJSON(json);
    root.resolveAll();
  }
  return root;
}

export const V1 = 'google.cloud.aiplatform.v1.';

export interface Violation {
  /** The proto path of the offending field, e.g. training_pipeline.input_data_config.filter_split. */
  field: string;
  description: string;
}

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v);

/** Checks `body` as the message `typeName` (fully qualified); `at` names the body in messages (e.g. the request field it fills). */
export function checkMessage(typeName: string, body: unknown, at: string): Violation | undefined {
  return message(vertexProtos().lookupType(typeName), body, at);
}

function bad(field: string, what: string): Violation {
  return { field, description: `Invalid JSON payload received. ${what}` };
}

function message(type: protobuf.Type, v: unknown, at: string): Violation | undefined {
  const wkt = wellKnown(type.fullName.replace(/^\./, ''), v, at);
  if (wkt !== 'not-wkt') return wkt;
  if (kind(v) !== 'object') return bad(at, `Invalid value at '${at}' (type.googleapis.com/${type.fullName.slice(1)}), ${JSON.stringify(v)}`);
  const seenOneof = new Map<string, string>();
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const field = type.fields[key] ?? type.fields[camel(key)];
    if (!field) return bad(at, `Unknown name "${key}" at '${at}': Cannot find field.`);
    const path = `${at}.${snake(field.name)}`;
    if (value === null) continue; // null is "not set" in proto3 JSON
    if (field.partOf) {
      const other = seenOneof.get(field.partOf.name);
      if (other) return bad(path, `Oneof field '${snake(field.partOf.name)}' is already set. Cannot set '${snake(field.name)}' (already set: '${other}').`);
      seenOneof.set(field.partOf.name, snake(field.name));
    }
    const err = fieldValue(field, value, path);
    if (err) return err;
  }
  return undefined;
}

function fieldValue(field: protobuf.Field, value: unknown, path: string): Violation | undefined {
  if (field.map) {
    if (kind(value) !== 'object') return bad(path, `Invalid value at '${path}' (map), ${JSON.stringify(value)}`);
    for (const [k, item] of Object.entries(value as Record<string, unknown>)) {
      const err = single(field, item, `${path}[${k}]`);
      if (err) return err;
    }
    return undefined;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return bad(path, `Invalid value at '${path}', ${JSON.stringify(value)}: expected a list.`);
    for (let i = 0; i < value.length; i++) {
      const err = single(field, value[i], `${path}[${i}]`);
      if (err) return err;
    }
    return undefined;
  }
  return single(field, value, path);
}

function single(field: protobuf.Field, v: unknown, path: string): Violation | undefined {
  const t = field.resolvedType;
  if (t instanceof protobuf.Enum) {
    if (typeof v === 'string' && v in t.values) return undefined;
    if (typeof v === 'number' && Object.values(t.values).includes(v)) return undefined;
    return bad(path, `Invalid value at '${path}' (type.googleapis.com/${t.fullName.slice(1)}), ${JSON.stringify(v)}`);
  }
  if (t instanceof protobuf.Type) return message(t, v, path);
  return scalar(field.type, v, path);
}

function scalar(type: string, v: unknown, path: string): Violation | undefined {
  const ok = (() => {
    if (type === 'string') return typeof v === 'string';
    if (type === 'bool') return typeof v === 'boolean';
    if (type === 'bytes') return typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v);
    if (INT32.has(type) || INT64.has(type)) {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n)) return false;
      if (type.startsWith('u') || type.startsWith('fixed')) if (n < 0) return false;
      if (INT32.has(type)) return type.startsWith('u') || type === 'fixed32' ? n <= 0xffffffff : n >= -(2 ** 31) && n < 2 ** 31;
      return true;
    }
    if (type === 'double' || type === 'float') return typeof v === 'number' || (typeof v === 'string' && (/^(NaN|-?Infinity)$/.test(v) || Number.isFinite(Number(v))));
    return false;
  })();
  return ok ? undefined : bad(path, `Invalid value at '${path}' (TYPE_${type.toUpperCase()}), ${JSON.stringify(v)}`);
}

/** The well-known types have their own JSON forms; 'not-wkt' for every other message. */
function wellKnown(name: string, v: unknown, at: string): Violation | undefined | 'not-wkt' {
  const k = kind(v);
  const need = (cond: boolean, what: string): Violation | undefined => (cond ? undefined : bad(at, `Invalid value at '${at}' (${what}), ${JSON.stringify(v)}`));
  switch (name) {
    case 'google.protobuf.Value':
      return undefined;
    case 'google.protobuf.Struct':
      return need(k === 'object', 'type.googleapis.com/google.protobuf.Struct');
    case 'google.protobuf.ListValue':
      return need(k === 'list', 'type.googleapis.com/google.protobuf.ListValue');
    case 'google.protobuf.Timestamp':
      return need(typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT/.test(v), 'type.googleapis.com/google.protobuf.Timestamp');
    case 'google.protobuf.Duration':
      return need(typeof v === 'string' && /^-?\d+(\.\d{1,9})?s$/.test(v), 'type.googleapis.com/google.protobuf.Duration');
    case 'google.protobuf.FieldMask':
      return need(typeof v === 'string', 'type.googleapis.com/google.protobuf.FieldMask');
    case 'google.protobuf.Empty':
      return need(k === 'object' && Object.keys(v as object).length === 0, 'type.googleapis.com/google.protobuf.Empty');
    case 'google.protobuf.Any':
      return need(k === 'object' && typeof (v as Record<string, unknown>)['@type'] === 'string', 'type.googleapis.com/google.protobuf.Any');
    case 'google.protobuf.BoolValue':
      return need(typeof v === 'boolean', name);
    case 'google.protobuf.StringValue':
      return need(typeof v === 'string', name);
    case 'google.protobuf.DoubleValue':
    case 'google.protobuf.FloatValue':
      return scalar('double', v, at);
    case 'google.protobuf.Int32Value':
    case 'google.protobuf.UInt32Value':
    case 'google.protobuf.Int64Value':
    case 'google.protobuf.UInt64Value':
      return scalar(name.endsWith('Int32Value') ? 'int32' : 'int64', v, at);
    default:
      return 'not-wkt';
  }
}

/** The body of a 400 INVALID_ARGUMENT as Google's JSON front end answers a payload that does not parse. */
export function invalidArgumentBody(v: Violation): unknown {
  return {
    error: {
      code: 400,
      message: v.description,
      status: 'INVALID_ARGUMENT',
      details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: v.field, description: v.description }] }],
    },
  };
}
