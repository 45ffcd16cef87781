/** The version embedded by build.ts (`--define BUILD_VERSION`); "dev" when run from source. */
declare const BUILD_VERSION: string | undefined;
export const VERSION: string = typeof BUILD_VERSION === "string" ? BUILD_VERSION : "0.1.0-dev";
