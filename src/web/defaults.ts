/** The web UI's default port (a light module: the CLI's option definitions import it). */
export const DEFAULT_HTTP_PORT = 7071;
