# Orders database for the production checkout flow.
resource "aws_db_instance" "orders" {
  identifier        = "orders-prod"
  engine            = "postgres"
  engine_version    = "16.3"
  instance_class    = "db.r6g.large"
  allocated_storage = 200

  username = "orders"
  password = var.db_password

  multi_az                = false
  backup_retention_period = 1
  storage_encrypted       = true

  vpc_security_group_ids = [aws_security_group.orders_db.id]

  tags = {
    Environment = "production"
    Owner       = "checkout-team"
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

  ingress {
    description = "SSH for debugging"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
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
