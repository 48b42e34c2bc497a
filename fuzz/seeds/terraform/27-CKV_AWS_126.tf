# From bridgecrewio/checkov (Apache-2.0), tests/terraform/checks/resource/aws/test_EC2DetailedMonitoringEnabled.py::TestEC2PublicIP::test_failure_aws_instance:
# the test's inline HCL string, written to this file with its indentation removed.
resource "aws_instance" "test" {
    monitoring = true
}
