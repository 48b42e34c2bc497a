# Orders database for the production checkout flow: Multi-AZ, 14 days of
# backups replicated to a second region, a read replica, and alarms.
resource "aws_db_instance" "orders" {
  identifier        = "orders-prod"
  engine            = "postgres"
  engine_version    = "16.3"
  instance_class    = "db.r6g.large"
  allocated_storage = 200

  username = "orders"
  password = var.db_password

  multi_az                = true
  backup_retention_period = 14
  backup_window           = "02:00-03:00"
  deletion_protection     = true
  storage_encrypted       = true
  copy_tags_to_snapshot   = true

  enabled_cloudwatch_logs_exports = ["postgresql"]
  vpc_security_group_ids          = [aws_security_group.orders_db.id]

  tags = {
    Environment = "production"
    Owner       = "checkout-team"
    CostCenter  = "cc-1042"
  }
}

resource "aws_db_instance" "orders_replica" {
  identifier          = "orders-prod-replica"
  replicate_source_db = aws_db_instance.orders.identifier
  instance_class      = "db.r6g.large"
  availability_zone   = "eu-west-1b"
  storage_encrypted   = true
  deletion_protection = true

  tags = {
    Environment = "production"
    Owner       = "checkout-team"
    CostCenter  = "cc-1042"
  }
}

resource "aws_db_instance_automated_backups_replication" "orders_dr" {
  source_db_instance_arn = aws_db_instance.orders.arn
  retention_period       = 14
}

resource "aws_cloudwatch_metric_alarm" "orders_db_cpu" {
  alarm_name          = "orders-prod-db-cpu"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [var.oncall_topic_arn]

  dimensions = {
    DBInstanceIdentifier = aws_db_instance.orders.identifier
  }

  tags = {
    Environment = "production"
    Owner       = "checkout-team"
    CostCenter  = "cc-1042"
  }
}

resource "aws_security_group" "orders_db" {
  name        = "orders-db"
  description = "Orders database access"

  ingress {
    description = "Postgres from the app subnets"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.20.0.0/16"]
  }

  tags = {
    Environment = "production"
    Owner       = "checkout-team"
    CostCenter  = "cc-1042"
  }
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "oncall_topic_arn" {
  type = string
}
