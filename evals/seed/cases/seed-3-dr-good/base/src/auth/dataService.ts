import { db } from '../db';

class DataService {
  async saveUserData(userId: string, data: any) {
    // Saves to single database only
    await db.users.update(userId, data);
  }

  async deleteUser(userId: string) {
    // Permanent deletion, no recovery possible
    await db.users.delete(userId);
  }
}
