/**
 * edgewise's own constants of the TFLite format (the format's tables, fields and enums are generated from
 * schema/model-subset.fbs and schema/metadata-subset.fbs into schema/*_generated.ts).
 */

/** Model.version written: schema version 3 (the format's identifier is "TFL3"). */
export const TFLITE_SCHEMA_VERSION = 3;

/** Metadata entry names written by edgewise (Model.metadata[i].name → a buffer holding UTF-8 text). */
export const EDGEWISE_LABELS_METADATA = 'edgewise_labels';
export const EDGEWISE_INFO_METADATA = 'edgewise_info';
/** The TFLite Support metadata entry (a ModelMetadata flatbuffer, identifier "M001") found in Vertex/Model Maker exports. */
export const TFLITE_SUPPORT_METADATA = 'TFLITE_METADATA';
