# Seed example 2, BAD: the production orders database lives in one availability
# zone, has no replica to promote and no copy of its backups outside its region.
resource "aws_db_instance" "orders" {
  identifier        = "orders-production"
  engine            = "mysql"
  instance_class    = "db.m6g.large"
  allocated_storage = 200

  # One AZ only: an AZ outage takes the database down.
  multi_az = false

  # A week of automated backups, all of them in this region.
  backup_retention_period = 7
}
