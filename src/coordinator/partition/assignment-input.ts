/**
 * What a node's JobAssignment says of a step's input (input_kind, tabular_reader_json). The
 * partitioning knows it before its slow part (listing a folder, cutting a table) and says so through
 * an OnProbed callback: the step run then assigns nodes, whose workers start (a Python one imports
 * pandas) while the input is still being cut.
 */

/** JobAssignment.input_kind and tabular_reader_json. */
export interface AssignmentInput {
  readonly inputKind: 'files' | 'tabular';
  readonly tabularReaderJson: string;
}

/** Called once by the partitioning, as soon as the assignment's input settings are known. */
export type OnProbed = (input: AssignmentInput) => void;

/** A file list's assignment input: the workers are handed files. */
export const FILES_INPUT: AssignmentInput = { inputKind: 'files', tabularReaderJson: '' };
