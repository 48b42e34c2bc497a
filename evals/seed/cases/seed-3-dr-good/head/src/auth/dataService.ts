import { addDays, isPast } from 'date-fns';
import { db } from '../db';
import { ArchiveService, AuditLog, ReplicationQueue, SchedulerService } from '../ops';

// Injected by the service container (see ../container.ts).
interface DataService {
  replicationQueue: ReplicationQueue;
  archiveService: ArchiveService;
  schedulerService: SchedulerService;
  auditLog: AuditLog;
  isSignificantChange(data: any): boolean;
}

class DataService {
  async saveUserData(userId: string, data: any) {
    // Save to primary database
    await db.users.update(userId, data);

    // Replicate to backup region asynchronously
    await this.replicationQueue.add({
      operation: 'update',
      table: 'users',
      id: userId,
      data: data,
      timestamp: new Date()
    });

    // Archive to long-term storage for compliance
    if (this.isSignificantChange(data)) {
      await this.archiveService.snapshot(userId, data);
    }
  }

  async deleteUser(userId: string) {
    // Soft delete with retention period
    await db.users.update(userId, {
      deleted_at: new Date(),
      status: 'deleted'
    });

    // Schedule permanent deletion after retention period
    await this.schedulerService.scheduleTask({
      type: 'permanent_delete',
      userId: userId,
      executeAt: addDays(new Date(), 30)
    });

    // Log for audit trail
    await this.auditLog.log({
      action: 'user_deleted',
      userId: userId,
      timestamp: new Date(),
      recoverable_until: addDays(new Date(), 30)
    });
  }

  // Recovery procedure
  async recoverDeletedUser(userId: string): Promise<boolean> {
    const user = await db.users.findOne({
      id: userId,
      deleted_at: { $ne: null }
    });

    if (!user) return false;

    // Check if still within recovery window
    if (isPast(addDays(user.deleted_at, 30))) {
      throw new Error('User data no longer recoverable');
    }

    // Restore user
    await db.users.update(userId, {
      deleted_at: null,
      status: 'active',
      recovered_at: new Date()
    });

    return true;
  }
}
