// The user data service (seed Example 3, BAD): one database, no backup strategy, no
// recovery procedure.
import { db } from "./db";

export class DataService {
  async saveUserData(userId: string, data: any) {
    // Saves to single database only
    await db.users.update(userId, data);
  }

  async deleteUser(userId: string) {
    // Permanent deletion, no recovery possible
    await db.users.delete(userId);
  }
}
