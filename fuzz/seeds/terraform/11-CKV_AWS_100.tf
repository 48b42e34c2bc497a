# From bridgecrewio/checkov (Apache-2.0), tests/terraform/checks/resource/aws/test_EKSNodeGroupRemoteAccess.py::TestEKSNodeGroupRemoteAccess::test_failure:
# the test's inline HCL string, written to this file with its indentation removed.
resource "aws_eks_node_group" "test" {
  cluster_name    = aws_eks_cluster.example.name
  node_group_name = "example"
  node_role_arn   = aws_iam_role.example.arn
  subnet_ids      = aws_subnet.example[*].id

  remote_access {
    ec2_ssh_key = "some-key"
  }

  scaling_config {
    desired_size = 1
    max_size     = 1
    min_size     = 1
  }
}
