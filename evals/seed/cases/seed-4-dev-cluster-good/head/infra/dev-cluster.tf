resource "aws_eks_cluster" "dev" {
  name     = "dev-cluster"
  role_arn = aws_iam_role.eks.arn

  vpc_config {
    subnet_ids = aws_subnet.dev[*].id
  }

  tags = {
    Environment = "development"
    AutoShutdown = "true"
    WorkingHours = "weekdays-9to5"
  }
}

resource "aws_eks_node_group" "dev" {
  cluster_name    = aws_eks_cluster.dev.name
  node_group_name = "dev-nodes"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.dev[*].id

  # Right-sized for development
  instance_types = ["t3.large"]  # Smaller, burstable

  scaling_config {
    desired_size = 2
    max_size     = 5
    min_size     = 0  # Can scale to zero
  }

  tags = {
    Environment = "development"
    AutoShutdown = "true"
  }
}

# Lambda function to shut down during non-working hours
resource "aws_lambda_function" "dev_scheduler" {
  function_name = "dev-environment-scheduler"
  runtime       = "python3.9"
  handler       = "scheduler.handler"

  environment {
    variables = {
      CLUSTER_NAME = aws_eks_cluster.dev.name
      WORK_HOURS_START = "09:00"
      WORK_HOURS_END   = "17:00"
      TIMEZONE         = "America/New_York"
      WORK_DAYS        = "1,2,3,4,5"  # Monday-Friday
    }
  }
}

# EventBridge rules for auto-shutdown
resource "aws_cloudwatch_event_rule" "shutdown_dev" {
  name                = "shutdown-dev-environment"
  description         = "Shut down dev at 5 PM weekdays"
  schedule_expression = "cron(0 17 ? * MON-FRI *)"
}

resource "aws_cloudwatch_event_rule" "startup_dev" {
  name                = "startup-dev-environment"
  description         = "Start dev at 9 AM weekdays"
  schedule_expression = "cron(0 9 ? * MON-FRI *)"
}

# Cost: ~$300/month (80% savings)
