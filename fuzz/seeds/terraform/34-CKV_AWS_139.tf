# From bridgecrewio/checkov (Apache-2.0), tests/terraform/checks/resource/aws/test_RDSDeletionProtection.py::TestRDSDeletionProtection::test_failure:
# the test's inline HCL string, written to this file with its indentation removed.
resource "aws_rds_cluster" "default" {
    cluster_identifier      = "aurora-cluster-demo"
    availability_zones      = ["us-west-2a", "us-west-2b", "us-west-2c"]
    database_name           = "mydb"
    master_username         = "foo"
    master_password         = "bar"
    backup_retention_period = 5
    preferred_backup_window = "07:00-09:00"
    deletion_protection = false
}
