# Seed example 2, GOOD: Multi-AZ with failover, longer backups, protection against
# deletion, encryption, a read replica in another AZ and a snapshot copied to a
# second region.
resource "aws_db_instance" "orders" {
  identifier        = "orders-production"
  engine            = "mysql"
  instance_class    = "db.m6g.large"
  allocated_storage = 200

  multi_az = true

  backup_retention_period = 21
  backup_window           = "02:00-03:00"
  maintenance_window      = "sun:03:30-sun:04:30"

  auto_minor_version_upgrade = true
  deletion_protection        = true
  storage_encrypted          = true

  tags = {
    Environment = "production"
    Backup      = "tier-1"
  }
}

# A replica in another zone: serves reads and can be promoted in a disaster.
resource "aws_db_instance" "orders_replica" {
  identifier          = "orders-production-replica"
  replicate_source_db = aws_db_instance.orders.identifier
  instance_class      = "db.m6g.large"
  availability_zone   = "eu-west-1c"

  backup_retention_period = 7
}

# A baseline snapshot, copied to a second region for regional disasters.
resource "aws_db_snapshot" "orders_baseline" {
  db_instance_identifier = aws_db_instance.orders.identifier
  db_snapshot_identifier = "orders-production-baseline"
}

resource "aws_db_snapshot_copy" "orders_dr" {
  source_db_snapshot_identifier = aws_db_snapshot.orders_baseline.db_snapshot_arn
  target_db_snapshot_identifier = "orders-production-dr"
  destination_region            = "eu-central-1"
}
