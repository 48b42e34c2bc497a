resource "aws_db_instance" "main" {
  identifier           = "production-db"
  engine              = "postgres"
  instance_class      = "db.t3.medium"
  allocated_storage   = 100

  # Single AZ deployment
  multi_az            = false

  # No read replicas for failover
  backup_retention_period = 7

  # No automated backups to different region
}
