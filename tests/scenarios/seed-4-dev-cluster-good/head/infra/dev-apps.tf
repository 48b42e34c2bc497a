# Seed example 4, GOOD: small burstable workers that scale to zero, tagged for
# auto-shutdown, and a scheduler that stops the environment out of office hours.
resource "aws_eks_cluster" "dev_apps" {
  name     = "dev-apps"
  role_arn = aws_iam_role.cluster.arn

  vpc_config {
    subnet_ids = aws_subnet.dev_private[*].id
  }

  tags = {
    Environment  = "development"
    AutoShutdown = "true"
    OfficeHours  = "mon-fri-08-18"
  }
}

resource "aws_eks_node_group" "dev_apps" {
  cluster_name    = aws_eks_cluster.dev_apps.name
  node_group_name = "dev-apps-workers"
  node_role_arn   = aws_iam_role.workers.arn
  subnet_ids      = aws_subnet.dev_private[*].id

  instance_types = ["t3.medium"]

  scaling_config {
    desired_size = 1
    max_size     = 4
    min_size     = 0
  }

  tags = {
    Environment  = "development"
    AutoShutdown = "true"
  }
}

# Stops the node group after office hours and starts it in the morning.
resource "aws_lambda_function" "dev_apps_scheduler" {
  function_name = "dev-apps-scheduler"
  runtime       = "python3.12"
  handler       = "scheduler.handle"
  role          = aws_iam_role.scheduler.arn

  environment {
    variables = {
      CLUSTER_NAME = aws_eks_cluster.dev_apps.name
      START_AT     = "08:00"
      STOP_AT      = "18:00"
      TIMEZONE     = "Europe/Berlin"
      WORK_DAYS    = "MON-FRI"
    }
  }
}

resource "aws_cloudwatch_event_rule" "dev_apps_stop" {
  name                = "dev-apps-stop"
  description         = "Stop the dev cluster at 18:00 on weekdays"
  schedule_expression = "cron(0 18 ? * MON-FRI *)"
}

resource "aws_cloudwatch_event_rule" "dev_apps_start" {
  name                = "dev-apps-start"
  description         = "Start the dev cluster at 08:00 on weekdays"
  schedule_expression = "cron(0 8 ? * MON-FRI *)"
}
