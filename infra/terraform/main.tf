locals {
  # Baton writes every object under tenants/<tenant id>/... (baton.platform.storage).
  object_prefix = "tenants/"
}

resource "aws_kms_key" "documents" {
  count                   = var.create_kms_key ? 1 : 0
  description             = "Baton documents in s3://${var.bucket_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "documents" {
  count         = var.create_kms_key ? 1 : 0
  name          = "alias/${var.bucket_name}"
  target_key_id = aws_kms_key.documents[0].key_id
}

resource "aws_s3_bucket" "documents" {
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
}

# ACLs off: the bucket owner owns every object, access is by IAM policy only.
resource "aws_s3_bucket_ownership_controls" "documents" {
  bucket = aws_s3_bucket.documents.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "documents" {
  bucket                  = aws_s3_bucket.documents.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Every document revision row keeps the S3 VersionId it was written as.
resource "aws_s3_bucket_versioning" "documents" {
  bucket = aws_s3_bucket.documents.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "documents" {
  bucket = aws_s3_bucket.documents.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.create_kms_key ? "aws:kms" : "AES256"
      kms_master_key_id = var.create_kms_key ? aws_kms_key.documents[0].arn : null
    }
    # Fewer KMS calls (and a smaller KMS bill) for SSE-KMS.
    bucket_key_enabled = var.create_kms_key
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "documents" {
  bucket = aws_s3_bucket.documents.id
  # The rule needs versioning to be on first.
  depends_on = [aws_s3_bucket_versioning.documents]

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days           = var.noncurrent_version_days
      newer_noncurrent_versions = var.noncurrent_versions_to_keep
    }
    # Delete markers with no versions left behind them are clutter.
    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# The bucket refuses plain-HTTP requests and unencrypted uploads from anyone.
data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.documents.arn,
      "${aws_s3_bucket.documents.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyUploadsWithoutEncryptionHeader"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.documents.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    # Baton always sends the header (baton.platform.storage_s3); a missing one
    # means something else is writing.
    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["true"]
    }
  }
}

resource "aws_s3_bucket_policy" "documents" {
  bucket = aws_s3_bucket.documents.id
  policy = data.aws_iam_policy_document.bucket.json
  # A bucket policy cannot be set while the public-access block is being created.
  depends_on = [aws_s3_bucket_public_access_block.documents]
}

# What the Baton processes may do, and only in this bucket, only under tenants/.
data "aws_iam_policy_document" "app" {
  statement {
    sid = "ReadWriteDocuments"
    actions = concat(
      [
        "s3:PutObject",        # upload a revision (with its SHA-256 checksum)
        "s3:GetObject",        # read it, and sign presigned download URLs
        "s3:GetObjectVersion", # read the exact version a revision row names
        "s3:DeleteObject",     # cleanup after a rolled-back upload
      ],
      var.allow_version_delete ? ["s3:DeleteObjectVersion"] : [],
    )
    resources = ["${aws_s3_bucket.documents.arn}/${local.object_prefix}*"]
  }

  # Without ListBucket a missing key answers 403 instead of 404, and Baton
  # could not tell "file missing" from "store refused". No s3:prefix condition:
  # S3 makes that check for GetObject, whose request carries no prefix.
  statement {
    sid       = "ListDocumentKeys"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.documents.arn]
  }

  dynamic "statement" {
    for_each = var.create_kms_key ? [1] : []
    content {
      sid       = "UseDocumentsKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [aws_kms_key.documents[0].arn]
    }
  }
}

resource "aws_iam_policy" "app" {
  name        = "${var.bucket_name}-baton-app"
  description = "Baton processes: documents in s3://${var.bucket_name}/${local.object_prefix} only"
  policy      = data.aws_iam_policy_document.app.json
}

resource "aws_iam_role_policy_attachment" "app" {
  count      = var.attach_to_role == "" ? 0 : 1
  role       = var.attach_to_role
  policy_arn = aws_iam_policy.app.arn
}
