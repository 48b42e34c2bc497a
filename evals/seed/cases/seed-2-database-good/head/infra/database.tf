resource "aws_db_instance" "main" {
  identifier           = "production-db"
  engine              = "postgres"
  instance_class      = "db.t3.medium"
  allocated_storage   = 100

  # Multi-AZ for automatic failover
  multi_az            = true

  # Automated backups
  backup_retention_period = 30
  backup_window          = "03:00-04:00"
  maintenance_window     = "mon:04:00-mon:05:00"

  # Enable automatic minor version upgrades
  auto_minor_version_upgrade = true

  # Enable deletion protection
  deletion_protection = true

  # Enable encryption
  storage_encrypted = true

  tags = {
    Environment = "production"
    Backup      = "critical"
  }
}

# Read replica for scaling reads and disaster recovery
resource "aws_db_instance" "replica" {
  identifier             = "production-db-replica"
  replicate_source_db    = aws_db_instance.main.identifier
  instance_class         = "db.t3.medium"

  # Place in different AZ
  availability_zone = "us-east-1b"

  # Can be promoted to standalone in disaster
  backup_retention_period = 7
}

# Cross-region backup using snapshots
resource "aws_db_snapshot_copy" "cross_region" {
  source_db_snapshot_identifier = aws_db_instance.main.latest_restorable_time
  target_db_snapshot_identifier = "production-db-dr-snapshot"
  destination_region            = "us-west-2"
}
