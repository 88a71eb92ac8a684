// Registration: the blog's follow-up endpoint, `POST /api/register/`.

import { Hono } from "hono/quick";
import { MAX_PASSWORD_LENGTH } from "../auth/password-rules";
import { describeUser, registerUser } from "../auth/registration";
import { webCryptoHasher } from "../auth/passwords";
import { throttleRegistration } from "../auth/throttle";
import { systemClock } from "../auth/tokens";
import { MAX_USERNAME_LENGTH } from "../auth/usernames";
import { readFields } from "../http/body";
import type { AppEnv } from "../http/context";
import { form, optionalText, requiredText, validate } from "../http/fields";
import { otherMethods } from "../http/methods";

const MAX_EMAIL_LENGTH = 254;

export const registrationSchema = form({
  username: requiredText(MAX_USERNAME_LENGTH),
  password: requiredText(MAX_PASSWORD_LENGTH),
  email: optionalText(MAX_EMAIL_LENGTH),
});

export const registerRoutes = new Hono<AppEnv>();

registerRoutes.post("/api/register/", async (c) => {
  const input = validate(registrationSchema, await readFields(c));

  const { db, settings, log, clientIp } = c.var;
  await throttleRegistration(db, settings, clientIp, log, systemClock());
  const user = await registerUser(db, settings, input, webCryptoHasher);

  return c.json(describeUser(user), 201);
});

registerRoutes.all("/api/register/", otherMethods(["POST"]));
