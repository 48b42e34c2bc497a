import { Pool } from "pg";

export const db = createClient(new Pool({ connectionString: process.env.DATABASE_URL }));
