import * as z from "zod";

/** An ISO 3166-1 alpha-2 country code, as the signup tools take it (either case). */
export const countryCode = () =>
  z.string().regex(/^[A-Za-z]{2}$/, "country must be a 2-letter ISO 3166-1 alpha-2 code");
