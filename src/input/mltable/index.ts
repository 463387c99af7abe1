/** MLTable: the model, the parser and the loader (see each module). */
export { loadMLTable, MLTABLE_FILE_NAME } from './load-mltable.js';
export * from './model.js';
export { type ParsedMLTable, parseMLTable, type PathEntry } from './parse-mltable.js';
